<?php

namespace Passgate\Symfony\DependencyInjection;

use Passgate\Symfony\Command\DoctorCommand;
use Passgate\Symfony\Form\CaptchaType;
use Passgate\Symfony\Twig\PassgateTwigExtension;
use Passgate\Symfony\Validator\CaptchaValidator;
use Passgate\Symfony\WidgetRenderer;
use Passgate\Verifier;
use Symfony\Component\Console\Command\Command;
use Symfony\Component\DependencyInjection\ContainerBuilder;
use Symfony\Component\DependencyInjection\ContainerInterface;
use Symfony\Component\DependencyInjection\Extension\Extension;
use Symfony\Component\DependencyInjection\Extension\PrependExtensionInterface;
use Symfony\Component\DependencyInjection\Reference;
use Symfony\Component\Form\AbstractType;
use Twig\Environment;

final class PassgateExtension extends Extension implements PrependExtensionInterface
{
    public function prepend(ContainerBuilder $container): void
    {
        // CaptchaType's block (passgate_captcha_widget) for every form.
        if ($container->hasExtension('twig')) {
            $container->prependExtensionConfig('twig', ['form_themes' => ['@Passgate/form/passgate.html.twig']]);
        }
    }

    public function load(array $configs, ContainerBuilder $container): void
    {
        $config = $this->processConfiguration(new Configuration(), $configs);
        $options = [];
        foreach ([...Configuration::SCALAR_OPTIONS, ...Configuration::BOOLEAN_OPTIONS] as $option) {
            if ($config[$option] !== null) {
                $options[$option] = $config[$option];
            }
        }
        if ($config['expected_hostnames'] !== []) {
            $options['expected_hostnames'] = $config['expected_hostnames'];
        }
        if (class_exists(Command::class)) {
            // The options as given, before the logger and on_outcome services join them.
            $container->register(DoctorCommand::class, DoctorCommand::class)
                ->setArguments([$options])
                ->addTag('console.command', ['command' => 'passgate:doctor']);
        }
        if ($config['logger'] !== null) {
            $options['logger'] = new Reference($config['logger'], ContainerInterface::NULL_ON_INVALID_REFERENCE);
        }
        if ($config['on_outcome'] !== null) {
            $options['on_outcome'] = new Reference($config['on_outcome']);
        }
        // One verifier for the app, built when first used; autowired by its class.
        $container->register(Verifier::class, Verifier::class)->setArguments([$options]);
        $container->setAlias('passgate.verifier', Verifier::class)->setPublic(true);

        $container->register(WidgetRenderer::class, WidgetRenderer::class)
            ->setArguments([new Reference(Verifier::class), new Reference('request_stack')]);
        $container->register(CaptchaValidator::class, CaptchaValidator::class)
            ->setArguments([new Reference(Verifier::class), new Reference('request_stack'),
                new Reference('translator', ContainerInterface::NULL_ON_INVALID_REFERENCE)])
            ->addTag('validator.constraint_validator');
        if (class_exists(AbstractType::class)) {
            $container->register(CaptchaType::class, CaptchaType::class)
                ->setArguments([new Reference(Verifier::class), new Reference('request_stack'), new Reference(WidgetRenderer::class)])
                ->addTag('form.type');
        }
        if (class_exists(Environment::class)) {
            $container->register(PassgateTwigExtension::class, PassgateTwigExtension::class)
                ->setArguments([new Reference(WidgetRenderer::class)])
                ->addTag('twig.extension');
        }
    }
}
